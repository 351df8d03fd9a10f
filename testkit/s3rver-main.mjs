// A real S3-compatible server for tests (s3rver), run as its own process by testkit/s3.ts so a
// test can stop or kill it, or run it as another user. Usage:
//   node testkit/s3rver-main.mjs <data folder> [bucket to create]
// Prints {"port":n} once it listens on 127.0.0.1; stops on SIGTERM, SIGINT or when stdin closes
// (the test process is gone).
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
if (!directory) {
  console.error('usage: s3rver-main.mjs <data folder> [bucket]');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: bucket ? [{ name: bucket }] : [],
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close().finally(() => process.exit(0));
  // Keep-alive connections of clients would hold close() open.
  server.httpServer?.closeAllConnections?.();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).resume();
