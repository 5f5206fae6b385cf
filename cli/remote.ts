/**
 * `build --remote s3://bucket/prefix`: the remote artifact store, opened as the archive is: credentials from the
 * environment only (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), never printed; the endpoint from
 * AWS_ENDPOINT_URL, else from `archive:` in the config when it names the same bucket (R2, MinIO), else AWS S3.
 */
import { credentialsFrom, openArtifactCache, type ArtifactCache, type Pipeline } from '../rules/index.ts';
import type { Io } from './io.ts';

/** Reads the credentials before anything is opened: missing ones are a usage error (exit 2). */
export const remoteCredentials = (io: Io) => credentialsFrom(io.env);

export async function openRemoteCache(io: Io, url: string, pipeline: Pipeline, credentials: Awaited<ReturnType<typeof remoteCredentials>>): Promise<ArtifactCache> {
  const archive = pipeline.ws.rawConfig.archive;
  const bucket = (u: string) => /^s3:\/\/([^/]+)/.exec(u)?.[1];
  const same = archive && bucket(archive.url) === bucket(url) ? archive : undefined;
  const endpoint = io.env.AWS_ENDPOINT_URL || same?.endpoint;
  const region = io.env.AWS_REGION || same?.region;
  let said = false;
  const trouble = (message: string) => {
    if (!said) io.stderr.write(`warning: ${message}\n`);
    said = true;
  };
  return openArtifactCache(url, { endpoint, region }, credentials, trouble);
}
