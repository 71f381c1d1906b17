import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { validateDto } from './validation-error';

const PLAIN_TYPES: ReadonlySet<unknown> = new Set([String, Boolean, Number, Array, Object]);

/**
 * The global pipe: every @Body()/@Query() typed with a DTO class goes through validateDto (the same path as job
 * task payloads): 422 validation_error naming each failing field under body/query, never echoing the input.
 */
@Injectable()
export class ContractValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const { metatype, type } = metadata;
    if ((type !== 'body' && type !== 'query') || !metatype || PLAIN_TYPES.has(metatype)) return value;
    return validateDto(metatype as new () => object, value, [type]);
  }
}
