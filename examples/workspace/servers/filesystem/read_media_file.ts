import { callMcpTool } from '../runtime';

export interface ReadMediaFileInput {
  path: string;
}

export interface ReadMediaFileOutput {
  content: Array<{
    type: "image" | "audio";
    data: string;
    mimeType: string;
  } | {
    type: "resource";
    resource: {
      uri: string;
      mimeType?: string;
      blob: string;
    };
  }>;
}

/** Read a file and return it as a base64-encoded content block with its MIME type. Image and audio files are returned as image/audio content; any other file type is returned as an embedded resource. Only works within allowed directories. */
export async function readMediaFile(input: ReadMediaFileInput): Promise<ReadMediaFileOutput> {
  return callMcpTool<ReadMediaFileOutput>("filesystem", "read_media_file", input);
}
