/**
 * Inside a packaged app the code and node_modules live in resources/app.asar, a read-only archive
 * that Electron's fs can read but the operating system cannot: a binary that is spawned (ffmpeg),
 * a native library that is dlopen'ed, or a file handed to a non-Electron reader must be a real file.
 * electron-builder's `asarUnpack` (electron-builder.yml) copies those to resources/app.asar.unpacked/;
 * this maps a path inside the archive to its unpacked copy. Outside a packaged app it is the identity.
 */
const ASAR_SEGMENT = /([\\/])app\.asar([\\/])/;

export function unpackedPath(p: string): string {
  return p.replace(ASAR_SEGMENT, '$1app.asar.unpacked$2');
}
