/** The push webhook's signature: GitHub's `X-Hub-Signature-256`, `sha256=` + the hex HMAC-SHA256 of the body with the shared secret. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Whether `given` (the header) is the body's signature with `secret`; compared in constant time. */
export function webhookSigned(secret: string, body: Buffer, given: string | string[] | undefined): boolean {
  const want = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
  const got = typeof given === 'string' ? given : '';
  return got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
}
