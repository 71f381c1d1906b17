import { Module } from '@nestjs/common';
import { PoolModule } from '../pool/pool.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

// JOBS_HEALTH comes from JobsModule, the one global feature module (it is built per configuration by forRoot).
@Module({ imports: [PoolModule], controllers: [HealthController], providers: [HealthService], exports: [HealthService] })
export class HealthModule {}
