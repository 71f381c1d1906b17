import { Global, Module } from '@nestjs/common';
import { DiagnosticsService } from './diagnostics.service';

@Global()
@Module({ providers: [DiagnosticsService], exports: [DiagnosticsService] })
export class DiagnosticsModule {}
