/**
 * Imported first by every entry point of the portal (launcher, CLIs, bench,
 * simulator): the project runs on the Node.js LTS it pins (`.nvmrc`, the
 * `node-linux-*` package that `npm ci` puts first on every npm script's PATH).
 * An older runtime — a machine's own Node 20 started by hand — stops here
 * with a message that says what to run instead, not with an obscure error
 * from a dependency that needs newer APIs.
 */
export const SUPPORTED_NODE_MAJOR = 24;

const major = Number(process.versions.node.split(".")[0]);
if (major !== SUPPORTED_NODE_MAJOR) {
  console.error(
    `TicketZero License Portal runs on Node.js ${SUPPORTED_NODE_MAJOR} LTS; this is Node.js ${process.version}.\n` +
      `Start it through npm (npm start, npm run demo, npm run license -- …): after npm ci, every npm script runs the project's pinned Node.js ${SUPPORTED_NODE_MAJOR}.\n` +
      `Or install Node.js ${SUPPORTED_NODE_MAJOR} yourself (the exact version is in .nvmrc).`,
  );
  process.exit(1);
}
