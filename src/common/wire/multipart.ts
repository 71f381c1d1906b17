// Multipart parsing for the inspection and dataset routes, on busboy directly (multer drops a part without filename
// whose Content-Type is application/octet-stream; the original treats every part without filename as a field).
// busboy accepts .NET's unquoted `name=role_id` and `filename*=utf-8''…`. Files are kept in memory within the
// configured limits; errors map to the error contract. The body becomes one object of text values and file parts
// under their field names, validated by the route's DTO like a JSON body.
import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { ApiError } from '../errors/api-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { UploadedPart, uploadedPart } from './uploaded-part';

// busboy ships without types; this is the part of its API used here.
interface BusboyFileInfo {
  filename?: string;
  encoding: string;
  mimeType: string;
}
interface Busboy extends NodeJS.WritableStream {
  on(event: 'field', listener: (name: string, value: string, info: { valueTruncated: boolean }) => void): this;
  on(event: 'file', listener: (name: string, stream: Readable & { truncated?: boolean }, info: BusboyFileInfo) => void): this;
  on(event: 'close' | 'filesLimit' | 'fieldsLimit' | 'partsLimit', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const busboy = require('busboy') as (options: Record<string, unknown>) => Busboy;

export interface MultipartLimits {
  fileSize: number;
  files: number;
  fieldSize: number;
}

/** Parses a multipart request into text fields (repeated names become arrays) and file parts. */
export function parseMultipart(req: Request, limits: MultipartLimits): Promise<{ fields: Record<string, string | string[]>; files: UploadedPart[] }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string | string[]> = {};
    const files: UploadedPart[] = [];
    const addField = (name: string, value: string) => {
      const existing = fields[name];
      fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    };
    let failed = false;
    const fail = (error: ApiError) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      reject(error);
    };
    let parser: Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: limits.fileSize, files: limits.files, fieldSize: limits.fieldSize, fields: 1000, parts: limits.files + 1000 },
      });
    } catch (error) {
      reject(new ApiError('bad_request', `Multipart body could not be parsed: ${(error as Error).message}`));
      return;
    }
    let pending = 0;
    let closed = false;
    const finish = () => {
      if (closed && pending === 0 && !failed) resolve({ fields, files });
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(tooLarge(name, limits.fieldSize));
      else addField(name, value);
    });
    parser.on('file', (name, stream, info) => {
      pending++;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(tooLarge(name, limits.fileSize)));
      stream.on('error', (error: Error) => fail(new ApiError('bad_request', `Multipart body could not be parsed: ${error.message}`)));
      stream.on('end', () => {
        pending--;
        const buffer = Buffer.concat(chunks);
        // busboy reports an octet-stream part without filename as a file: it is a field.
        if (info.filename === undefined) addField(name, buffer.toString('utf8'));
        else files.push(uploadedPart(name, info.filename, info.mimeType, buffer));
        finish();
      });
    });
    parser.on('filesLimit', () => fail(new ApiError('too_many_files', undefined, { max_files: limits.files })));
    parser.on('fieldsLimit', () => fail(new ApiError('too_many_files', 'Too many fields in one upload')));
    parser.on('partsLimit', () => fail(new ApiError('too_many_files', 'Too many parts in one upload')));
    parser.on('error', (error) => fail(new ApiError('bad_request', `Multipart body could not be parsed: ${error.message}`)));
    parser.on('close', () => {
      closed = true;
      finish();
    });
    req.pipe(parser);
  });
}

@Injectable()
export class MultipartInterceptor implements NestInterceptor {
  private readonly limits: MultipartLimits;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limits = { fileSize: config.server.maxUploadBytes, files: config.server.maxFilesPerUpload, fieldSize: config.server.maxUploadBytes };
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<Request>();
    if (/^multipart\//i.test(req.headers['content-type'] ?? '')) {
      const { fields, files } = await parseMultipart(req, this.limits);
      req.body = formBody(fields, files);
    } else {
      req.body ??= {};
    }
    return next.handle();
  }
}

/** Text fields and file parts under their names; a name used by both keeps both (the DTO picks what it reads). */
export function formBody(fields: Record<string, string | string[]>, files: UploadedPart[]): Record<string, unknown> {
  const body: Record<string, unknown> = { ...fields };
  for (const file of files) {
    const existing = body[file.fieldname];
    body[file.fieldname] = existing === undefined ? [file] : [...(Array.isArray(existing) ? existing : [existing]), file];
  }
  return body;
}

/** 413 that states the limit (BDI_MAX_UPLOAD_MB) and the field that exceeded it. */
function tooLarge(field: string, limitBytes: number): ApiError {
  return new ApiError('payload_too_large', `Payload too large: field '${field}' exceeds the limit of ${limitBytes} bytes (BDI_MAX_UPLOAD_MB)`, {
    field,
    limit_bytes: limitBytes,
  });
}
