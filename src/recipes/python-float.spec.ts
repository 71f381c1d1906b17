import { PyFloat, pythonFloatRepr, pythonJsonDumps, pythonUtcIso } from './python-float';

describe('pythonFloatRepr', () => {
  it.each([
    [0.2, '0.2'],
    [0.25, '0.25'],
    [1, '1.0'],
    [-3, '-3.0'],
    [0, '0.0'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [123456789012345680000, '1.2345678901234568e+20'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [0.1 + 0.2, '0.30000000000000004'],
    [12.96, '12.96'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ])('writes %p as Python does (%s)', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

describe('pythonJsonDumps', () => {
  it('indents by 2, escapes non-ASCII and keeps float-ness', () => {
    expect(pythonJsonDumps({ mm_per_px: new PyFloat(1), n: 3, name: 'ñ', list: [0.5], empty: {} })).toBe(
      '{\n  "mm_per_px": 1.0,\n  "n": 3,\n  "name": "\\u00f1",\n  "list": [\n    0.5\n  ],\n  "empty": {}\n}',
    );
  });
});

describe('pythonUtcIso', () => {
  it('prints microseconds and omits a zero fraction', () => {
    expect(pythonUtcIso(Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 123456)).toBe('2024-01-02T03:04:05.123456Z');
    expect(pythonUtcIso(Date.UTC(2024, 0, 2, 3, 4, 5) * 1000)).toBe('2024-01-02T03:04:05Z');
  });
});
