/**
 * Secrets registered here are replaced by *** in every message Slipway prints or stores
 * (octokit/request-error style). Tokens read from the environment are registered when read.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** Query parameters that carry a credential: pre-signed URLs (S3, GCS, Azure SAS) and API tokens. */
const QUERY_CREDENTIALS = ['X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Credential', 'X-Goog-Signature', 'X-Goog-Credential', 'sig', 'access_token', 'token'];

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  // Authorization headers (the credential after the scheme: token, bearer or basic, as git's
  // http.extraheader carries a base64 user:token), and tokens that look like GitHub tokens, even if not registered.
  out = out.replace(/(authorization["']?\s*[:=]\s*["']?(?:(?:token|bearer|basic)\s+)?)[^\s"',}]+/gi, '$1***');
  out = out.replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, '***');
  // the password of a URL's user information (https://user:password@host/…)
  out = out.replace(/\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/?#@:]*:)[^\s/?#@]+@/gi, '$1***@');
  // the credentials of a pre-signed URL's query (S3, GCS, an Azure SAS) and tokens passed in one
  out = out.replace(new RegExp(`([?&](?:${QUERY_CREDENTIALS.join('|')})=)[^\\s&#"'<>|)\\]\`]+`, 'gi'), '$1***');
  return out;
}
