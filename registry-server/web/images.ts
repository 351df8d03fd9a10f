/**
 * Which package files are raster images, judged by their first bytes (never by name): the only
 * files the registry serves as they are, and the only package images a page shows.
 */
const RASTER_MAGIC: { type: string; test: (b: Uint8Array) => boolean }[] = [
  { type: 'image/png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 },
  { type: 'image/webp', test: (b) => b.byteLength >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP' },
];

/** The image type of a raster image file, or undefined for anything else. */
export function rasterType(bytes: Uint8Array): string | undefined {
  return RASTER_MAGIC.find((m) => m.test(bytes))?.type;
}
