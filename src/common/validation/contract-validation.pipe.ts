import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import { currentRequestContext } from '../request-context/request-context';

export interface FieldError {
  loc: string[];
  field: string;
  message: string;
}

class FieldErrors extends Error {
  constructor(readonly errors: Array<Omit<FieldError, 'loc'>>) {
    super('validation failed');
  }
}

function flatten(errors: ValidationError[], parent = ''): Array<Omit<FieldError, 'loc'>> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * class-validator with the error contract: 422 validation_error, details.errors[] naming every failing field
 * with its location (body/query/param), never echoing the input (bodies carry multi-MB images).
 */
@Injectable()
export class ContractValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: false,
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new FieldErrors(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object && (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new ApiError('validation_error', undefined, {
        errors: [{ loc: ['body'], field: 'body', message: 'Body must be a JSON object' }],
        path: currentRequestContext()?.path ?? null,
      });
    }
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof FieldErrors) {
        throw new ApiError('validation_error', undefined, {
          errors: error.errors.map((e) => ({ loc: [metadata.type, ...e.field.split('.')], ...e })),
          path: currentRequestContext()?.path ?? null,
        });
      }
      throw error;
    }
  }
}
