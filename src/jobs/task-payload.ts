// Validation of a task's fields with a class-validator DTO, reported like the global pipe does (422
// validation_error, details.errors[{loc, field, message}], never echoing values: they carry multi-MB images).
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { ApiError } from '../common/errors/api-error';

export function validateTaskFields<T extends object>(dto: ClassConstructor<T>, fields: Record<string, unknown>, location: string[] = ['body']): T {
  const instance = plainToInstance(dto, fields);
  const errors = validateSync(instance, { forbidUnknownValues: false, validationError: { target: false, value: false } });
  if (errors.length > 0) {
    throw new ApiError('validation_error', undefined, {
      errors: flatten(errors).map(({ field, message }) => ({ loc: [...location, ...field.split('.')], field, message })),
    });
  }
  return instance;
}

function flatten(errors: ValidationError[], parent = ''): Array<{ field: string; message: string }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
