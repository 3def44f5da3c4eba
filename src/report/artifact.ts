/**
 * Uploads the results file and summary.json as one workflow artifact. A failed upload is reported,
 * never thrown: the search's result stands and the files stay on the runner.
 */
import path from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { errorMessage } from '../errors.js';

/** The part of `@actions/artifact`'s client used here (a seam for tests). */
export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: { retentionDays?: number },
  ): Promise<{ id?: number; size?: number }>;
}

export interface UploadRequest {
  name: string;
  /** Absolute paths, all under one folder. */
  files: string[];
  retentionDays: number | undefined;
}

export type UploadOutcome =
  | { ok: true; name: string; id: number; url: string | undefined; size: number | undefined }
  | { ok: false; name: string; error: string; conflict?: boolean };

/** The artifact's page, as actions/upload-artifact reports it. */
export function artifactUrl(env: NodeJS.ProcessEnv, id: number): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: runId } = env;
  if (!server || !repo || !runId) return undefined;
  return `${server.replace(/\/+$/, '')}/${repo}/actions/runs/${runId}/artifacts/${id}`;
}

/** The artifact service's answer when the run already has an artifact of that name. */
const NAME_TAKEN = /\(409\)|already exists|Conflict/i;

/** A hint for the failures users can fix. */
function explain(message: string): string {
  if (/ACTIONS_RUNTIME_TOKEN|ACTIONS_RESULTS_URL/.test(message)) {
    return `${message} (artifacts can only be uploaded inside a GitHub Actions job; set upload-artifact: false elsewhere)`;
  }
  if (NAME_TAKEN.test(message)) {
    return `${message} (an artifact with this name already exists in the run: set artifact-name, e.g. with \${{ strategy.job-index }} in a matrix)`;
  }
  return message;
}

export async function uploadResults(
  request: UploadRequest,
  env: NodeJS.ProcessEnv = process.env,
  client: ArtifactUploader = new DefaultArtifactClient(),
): Promise<UploadOutcome> {
  const root = path.dirname(request.files[0] ?? '.');
  try {
    const result = await client.uploadArtifact(request.name, request.files, root, {
      ...(request.retentionDays !== undefined ? { retentionDays: request.retentionDays } : {}),
    });
    if (result.id === undefined) {
      return { ok: false, name: request.name, error: 'the artifact service returned no artifact id' };
    }
    return {
      ok: true,
      name: request.name,
      id: result.id,
      url: artifactUrl(env, result.id),
      size: result.size,
    };
  } catch (err) {
    const message = errorMessage(err);
    return { ok: false, name: request.name, error: explain(message), conflict: NAME_TAKEN.test(message) };
  }
}
