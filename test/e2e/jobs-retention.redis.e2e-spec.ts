// The retention suite (timeouts, TTL and max-items evicting finished jobs only) on the Redis/BullMQ backend.
import { withRedisBackend } from './support/redis-server';

withRedisBackend(() => require('./jobs-retention.e2e-spec'));
