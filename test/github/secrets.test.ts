import { describe, expect, it } from 'vitest';
import { redact, registerSecret } from '../../src/secrets.js';

// redact() is the last filter before a message is printed or stored (error lines, API errors, git's
// stderr): what it misses reaches job logs, comments and reports.

describe('redact', () => {
  it('hides a registered secret wherever it appears, and GitHub-shaped tokens that were never registered', () => {
    registerSecret('s3cr3t-value');
    expect(redact('x s3cr3t-value y s3cr3t-value')).toBe('x *** y ***');
    expect(redact('token ghs_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 and github_pat_11ABCDEFG0123456789_abcdefghij')).toBe('token *** and ***');
  });

  it('hides the credential of an Authorization header after its scheme: token, bearer and basic (git http.extraheader)', () => {
    const basic = Buffer.from('x-access-token:not-registered-token').toString('base64');
    expect(redact(`git -c http.https://github.com/.extraheader=AUTHORIZATION: basic ${basic} fetch failed`)).toBe('git -c http.https://github.com/.extraheader=AUTHORIZATION: basic *** fetch failed');
    expect(redact('Authorization: Bearer abc.def.ghi')).toBe('Authorization: Bearer ***');
    expect(redact('{"authorization":"token abc123"}')).toBe('{"authorization":"token ***"}');
    expect(redact('authorization=abc123')).toBe('authorization=***');
  });

  it("hides the password of a URL's user information, and leaves URLs without one alone", () => {
    expect(redact("fatal: unable to access 'https://deploy:hunter2-long@git.example.com:8443/acme/risk.git/': 403")).toBe(
      "fatal: unable to access 'https://deploy:***@git.example.com:8443/acme/risk.git/': 403",
    );
    expect(redact('https://x-access-token:v1.0123456789abcdef@github.com/acme/risk')).toBe('https://x-access-token:***@github.com/acme/risk');
    for (const plain of ['git@github.com:acme/risk.git', 'ssh://git@github.com:22/acme/risk', 'https://github.com/acme/risk/actions/runs/1', 'see https://host:8080/x@y', 'uses: acme/x@v1']) {
      expect(redact(plain)).toBe(plain);
    }
  });

  it("hides the credentials in a pre-signed URL's query (S3, GCS, Azure SAS) and a token passed as a query parameter", () => {
    expect(redact('https://b.s3.amazonaws.com/w.parquet?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=0a1b2c&X-Amz-Expires=3600')).toBe(
      'https://b.s3.amazonaws.com/w.parquet?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=3600',
    );
    expect(redact('https://acct.blob.core.windows.net/c/w.parquet?sv=2022-11-02&sig=AbC%3D&se=2026')).toBe('https://acct.blob.core.windows.net/c/w.parquet?sv=2022-11-02&sig=***&se=2026');
    expect(redact('`https://h.example/x.csv?token=abc123`')).toBe('`https://h.example/x.csv?token=***`');
    for (const plain of ['a token=abc in prose', 'https://h.example/x?tokens=1&page=2', 'https://h.example/x?signature=none']) expect(redact(plain)).toBe(plain);
  });
  it('takes linear time on long text from data (every error message is redacted): no scheme-like run is rescanned from each of its positions', () => {
    // 1 MB of 'a.' took minutes: the URL pattern's scheme matched to the end from every word boundary, then backtracked
    for (const hostile of ['a.'.repeat(500_000), 'a://b:'.repeat(170_000), `https://u:${'p'.repeat(1_000_000)}`]) {
      const t0 = performance.now();
      expect(redact(hostile).length).toBeGreaterThan(0);
      expect(performance.now() - t0, hostile.slice(0, 10)).toBeLessThan(2000);
    }
  });
});
