// RabbitMQ for the event tests: the URL (MOSAIC_TEST_AMQP_URL, else the machine's 127.0.0.1:5672), whether it
// answers — in CI a missing broker fails the suite; locally it is skipped with the reason printed — and a unique
// exchange prefix per suite, so suites running at once on one broker never hear each other's notifications.
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';

export const AMQP_URL = process.env.MOSAIC_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** True when RabbitMQ answers; throws in CI when it does not. */
export async function requireAmqp(suite: string): Promise<boolean> {
  let reachable = false;
  try {
    const conn = await connect(AMQP_URL, { timeout: 1_500 });
    reachable = true;
    await conn.close().catch(() => {});
  } catch {
    reachable = false;
  }
  if (!reachable && process.env.CI) throw new Error(`${suite}: RabbitMQ is required in CI and did not answer at ${AMQP_URL}`);
  if (!reachable) console.warn(`${suite}: skipped, no RabbitMQ at ${AMQP_URL} (start rabbitmq-server or set MOSAIC_TEST_AMQP_URL)`);
  return reachable;
}

/** An exchange prefix no other suite uses. */
export const exchangePrefix = () => `mosaic-test-${randomUUID().slice(0, 8)}.`;

/** The gateway's events.exchanges for a cloud started with `notifyExchangePrefix: prefix`. */
export const exchangesFor = (prefix: string) => ['nova', 'cinder', 'region-controller'].map((s) => prefix + s);
