// The jobs e2e suite (contract, idempotency, cancel, timeout, list/cursors, retry, /request) on the Redis/BullMQ
// backend: the same tests as jobs.e2e-spec.ts, with BDI_REDIS_URL pointing at a throwaway redis-server.
import { withRedisBackend } from './support/redis-server';

withRedisBackend(() => require('./jobs.e2e-spec'));
