/**
 * The remote artifact store of a build: `--remote s3://bucket/prefix`, else `remote:` in the config. Opened as the
 * archive is: credentials from the environment only (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * never printed. The endpoint and region: `remote:`'s own when the config gives it, else AWS_ENDPOINT_URL and
 * AWS_REGION, else `archive:`'s when it names the same bucket (R2, MinIO), else AWS S3's.
 */
import { credentialsFrom, openArtifactCache, type ArtifactCache, type Pipeline } from '../rules/index.ts';
import type { Io } from './io.ts';

/** With `--remote`, reads the credentials before anything is opened: missing ones are a usage error (exit 2). */
export async function checkRemoteCredentials(io: Io, url: string | undefined): Promise<void> {
  if (url !== undefined) await credentialsFrom(io.env);
}

/** The build's remote, or undefined when neither `--remote` nor `remote:` names one. */
export async function openRemoteCache(io: Io, option: string | undefined, pipeline: Pipeline): Promise<ArtifactCache | undefined> {
  const config = pipeline.ws.rawConfig;
  const url = option ?? config.remote?.url;
  if (url === undefined) return undefined;
  const bucket = (u: string) => /^s3:\/\/([^/]+)/.exec(u)?.[1];
  const own = option === undefined ? config.remote : undefined;
  const archive = config.archive && bucket(config.archive.url) === bucket(url) ? config.archive : undefined;
  const endpoint = own?.endpoint ?? (io.env.AWS_ENDPOINT_URL || archive?.endpoint);
  const region = own?.region ?? (io.env.AWS_REGION || archive?.region);
  let said = false;
  const trouble = (message: string) => {
    if (!said) io.stderr.write(`warning: ${message}\n`);
    said = true;
  };
  return openArtifactCache(url, { endpoint, region }, await credentialsFrom(io.env), trouble);
}
