import { callMcpTool } from '../runtime';

export interface GzipFileAsResourceInput {
  /** Name of the output file */
  name?: string;
  /** URL or data URI of the file content to compress */
  data?: string;
  /** How the resulting gzipped file should be returned. 'resourceLink' returns a link to a resource that can be read later, 'resource' returns a full resource object. */
  outputType?: "resourceLink" | "resource";
}

/** Compresses a single file using gzip compression. Depending upon the selected output type, returns either the compressed data as a gzipped resource or a resource link, allowing it to be downloaded in a subsequent request during the current session. */
export async function gzipFileAsResource(input: GzipFileAsResourceInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "gzip-file-as-resource", input);
}
