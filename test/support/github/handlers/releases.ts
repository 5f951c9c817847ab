/** Releases and release assets (uploads go through the uploads host, downloads by Accept header). */
import { createHash } from 'node:crypto';
import { HttpError, paginate, type GitHubTestServer, type GhRequest } from '../server.js';
import { example } from '../openapi.js';
import { newId, now, type Json } from '../state.js';

function releaseOr404(req: GhRequest, id = Number(req.params.release_id)): Json {
  const r = req.repo.releases.get(id);
  if (!r) throw new HttpError(404, 'Not Found');
  return r;
}

function withAssets(req: GhRequest, r: Json): Json {
  return { ...r, assets: [...req.repo.assets.values()].filter((a) => a.releaseId === r.id).map((a) => a.meta) };
}

export function registerReleaseHandlers(s: GitHubTestServer): void {
  s.route('POST', '/repos/{owner}/{repo}/releases', (req) => {
    const b = req.body;
    if ([...req.repo.releases.values()].some((r) => r.tag_name === b.tag_name)) {
      throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
    }
    const id = newId();
    const r = example('release');
    const url = `${req.repo.url}/releases/${id}`;
    Object.assign(r, {
      url,
      html_url: `${req.repo.htmlUrl}/releases/tag/${b.tag_name}`,
      assets_url: `${url}/assets`,
      upload_url: `${req.server.uploadsUrl}/repos/${req.repo.owner}/${req.repo.name}/releases/${id}/assets{?name,label}`,
      tarball_url: `${req.repo.url}/tarball/${b.tag_name}`,
      zipball_url: `${req.repo.url}/zipball/${b.tag_name}`,
      id,
      node_id: Buffer.from(`R${id}`).toString('base64'),
      tag_name: b.tag_name,
      target_commitish: b.target_commitish ?? req.repo.defaultBranch,
      name: b.name ?? b.tag_name,
      body: b.body ?? null,
      draft: b.draft ?? false,
      prerelease: b.prerelease ?? false,
      immutable: false,
      created_at: now(),
      published_at: b.draft ? null : now(),
      author: req.user,
      assets: [],
    });
    delete r.discussion_url;
    req.repo.releases.set(id, r);
    return { status: 201, body: r, headers: { location: url } };
  });
  s.route('GET', '/repos/{owner}/{repo}/releases', (req) =>
    paginate(req, [...req.repo.releases.values()].sort((a, b) => b.id - a.id).map((r) => withAssets(req, r))),
  );
  s.route('GET', '/repos/{owner}/{repo}/releases/{release_id}', (req) => ({ status: 200, body: withAssets(req, releaseOr404(req)) }));
  s.route('GET', '/repos/{owner}/{repo}/releases/tags/{tag}', (req) => {
    const r = [...req.repo.releases.values()].find((x) => x.tag_name === req.params.tag);
    if (!r) throw new HttpError(404, 'Not Found');
    return { status: 200, body: withAssets(req, r) };
  });
  s.route('DELETE', '/repos/{owner}/{repo}/releases/{release_id}', (req) => {
    const r = releaseOr404(req);
    req.repo.releases.delete(r.id);
    for (const [id, a] of req.repo.assets) if (a.releaseId === r.id) req.repo.assets.delete(id);
    return { status: 204 };
  });
  s.route('POST', '/repos/{owner}/{repo}/releases/{release_id}/assets', (req) => {
    const r = releaseOr404(req);
    const name = req.query.get('name');
    if (!name) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'ReleaseAsset', code: 'missing_field', field: 'name' }] });
    if ([...req.repo.assets.values()].some((a) => a.releaseId === r.id && a.meta.name === name)) {
      throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }] });
    }
    const id = newId();
    const meta = example('release-asset');
    Object.assign(meta, {
      url: `${req.repo.url}/releases/assets/${id}`,
      browser_download_url: `${req.repo.htmlUrl}/releases/download/${r.tag_name}/${name}`,
      id,
      node_id: Buffer.from(`RA${id}`).toString('base64'),
      name,
      label: req.query.get('label') ?? '',
      state: 'uploaded',
      content_type: String(req.headers['content-type'] ?? 'application/octet-stream'),
      size: req.rawBody.length,
      digest: `sha256:${createHash('sha256').update(req.rawBody).digest('hex')}`,
      download_count: 0,
      created_at: now(),
      updated_at: now(),
      uploader: req.user,
    });
    req.repo.assets.set(id, { meta, data: Buffer.from(req.rawBody), releaseId: r.id });
    return { status: 201, body: meta };
  });
  s.route('GET', '/repos/{owner}/{repo}/releases/{release_id}/assets', (req) => {
    const r = releaseOr404(req);
    return paginate(req, [...req.repo.assets.values()].filter((a) => a.releaseId === r.id).map((a) => a.meta));
  });
  s.route('GET', '/repos/{owner}/{repo}/releases/assets/{asset_id}', (req) => {
    const a = req.repo.assets.get(Number(req.params.asset_id));
    if (!a) throw new HttpError(404, 'Not Found');
    if (String(req.headers.accept ?? '').includes('application/octet-stream')) {
      a.meta.download_count++;
      return { status: 200, raw: a.data, headers: { 'content-type': 'application/octet-stream' } };
    }
    return { status: 200, body: a.meta };
  });
  s.route('DELETE', '/repos/{owner}/{repo}/releases/assets/{asset_id}', (req) => {
    if (!req.repo.assets.delete(Number(req.params.asset_id))) throw new HttpError(404, 'Not Found');
    return { status: 204 };
  });
}
