import { baseName, encodeId, isSafeFileName, legacySanitize, pathSuffix, roiIndexGuess, sampleStem, sanitizeModelKey, storedExtension } from './model-paths';

describe('model paths', () => {
  it('encodes ids as unpadded URL-safe base64 (the original examples)', () => {
    expect(encodeId('Inspection')).toBe('SW5zcGVjdGlvbg');
    expect(encodeId('inspection-1')).toBe('aW5zcGVjdGlvbi0x');
    expect(encodeId('')).toBe('default');
    expect(baseName('Master', 'Pattern')).toBe('TWFzdGVy__UGF0dGVybg');
  });

  it('turns a role with slashes or dots into one safe segment', () => {
    const encoded = encodeId('../../etc/passwd');
    expect(encoded).not.toMatch(/[/\\.]/);
  });

  it('sanitises model keys like the original, and neutralises dot-only keys', () => {
    expect(sanitizeModelKey('a b/c')).toBe('a_b_c');
    expect(sanitizeModelKey('')).toBe('default');
    expect(sanitizeModelKey('x'.repeat(100))).toHaveLength(80);
    expect(sanitizeModelKey('..')).toBe('__');
    expect(sanitizeModelKey('.')).toBe('_');
    expect(sanitizeModelKey('v1.2')).toBe('v1.2');
  });

  it('legacy-sanitises keeping Unicode letters and digits', () => {
    expect(legacySanitize(' Máster 1/b ')).toBe('Máster_1_b');
    expect(legacySanitize('  ')).toBe('default');
  });

  it('accepts only bare file names', () => {
    for (const bad of ['../x.png', '..', '.', 'a/b.png', 'a\\b.png', '/etc/passwd', 'x\0.png', 'C:evil.png', '']) expect(isSafeFileName(bad)).toBe(false);
    expect(isSafeFileName('20240101-000000-000001.png')).toBe(true);
  });

  it('keeps the lower-cased client extension, else .png', () => {
    expect(pathSuffix('X.JPG')).toBe('.jpg');
    expect(storedExtension('X.JPG')).toBe('.jpg');
    expect(storedExtension('noext')).toBe('.png');
    expect(storedExtension(undefined)).toBe('.png');
    expect(storedExtension('a.p$g')).toBe('.png');
  });

  it('names samples YYYYMMDD-HHMMSS-ffffff in UTC', () => {
    expect(sampleStem(Date.UTC(2024, 11, 31, 23, 59, 58) * 1000 + 7)).toBe('20241231-235958-000007');
  });

  it('guesses the ROI index like the diagnostics of the original', () => {
    expect(roiIndexGuess('Inspection_3')).toBe(3);
    expect(roiIndexGuess('inspection 12')).toBe(12);
    expect(roiIndexGuess('master1')).toBeNull();
  });
});
