/**
 * `ksl serve`: the same React UI over HTTP + WebSocket. Bound to 127.0.0.1 unless told otherwise;
 * bound anywhere else it requires a random access token (printed at start) on every request.
 * The WebSocket also checks Origin and Host, so a web page on another site cannot drive the app
 * (cross-site WebSocket hijacking, DNS rebinding).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { createApiHost } from '../../src-shared/api-host';
import { decodeBinaryRequest, WireRequest, type WireMessage } from '../../src-shared/wire';
import { createAppServices, type AppServices } from '../services/app-services';
import { resolveInProject } from '../services/fs/project-paths';
import { isProject } from '../services/catalog/project';

export interface ServeOptions {
  dir: string;
  host?: string;
  port?: number;
  /** Folder with the built renderer (index.html); defaults to dist/renderer beside this bundle. */
  rendererDir?: string;
  /** Force a token even on loopback (tests); otherwise only non-loopback binds get one. */
  token?: string | null;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  token: string | null;
  services: AppServices;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png']);

export function defaultRendererDir(): string {
  for (const rel of ['../renderer', '../../dist/renderer']) {
    const p = path.resolve(__dirname, rel);
    if (existsSync(path.join(p, 'index.html'))) return p;
  }
  return path.resolve(__dirname, '../renderer');
}

function securityHeaders(res: http.ServerResponse, wsOrigin: string): void {
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self' ${wsOrigin}; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

const sameToken = (given: string | null, token: string): boolean => {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const token = opts.token !== undefined ? opts.token : isLoopback(host) ? null : randomBytes(24).toString('base64url');
  const rendererDir = opts.rendererDir ?? defaultRendererDir();
  const dir = path.resolve(opts.dir);

  const sockets = new Set<WebSocket>();
  const broadcast = (msg: WireMessage) => {
    const data = JSON.stringify(msg);
    for (const s of sockets) if (s.readyState === s.OPEN) s.send(data);
  };
  const services = createAppServices((name, payload) => broadcast({ t: 'evt', name, payload }), { door: 'web', servedDir: dir });
  if (isProject(dir)) services.open(dir);
  const apiHost = createApiHost(services.handlers, (name, e) => log(`internal error in ${name}: ${(e as Error).stack ?? e}`));

  let origin = '';
  const allowedHosts = new Set<string>();
  const allowedOrigins = new Set<string>();
  const hostAllowed = (h: string | undefined) => !!h && (allowedHosts.size === 0 || allowedHosts.has(h.toLowerCase()));

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    securityHeaders(res, origin.replace(/^http/, 'ws'));
    if (!hostAllowed(req.headers.host)) {
      res.writeHead(421).end('Misdirected request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    // Project files (frame images): token-checked, inside the project only, images only.
    if (url.pathname === '/project-file') {
      if (token && !sameToken(url.searchParams.get('token'), token)) {
        res.writeHead(401).end('token required');
        return;
      }
      const s = services.current();
      const rel = url.searchParams.get('path') ?? '';
      try {
        if (!s) throw new Error('no project');
        if (!IMAGE_EXT.has(path.extname(rel).toLowerCase())) throw new Error('not an image');
        const abs = resolveInProject(s.project.dir, rel);
        const st = statSync(abs);
        if (!st.isFile()) throw new Error('not a file');
        res.writeHead(200, { 'Content-Type': MIME[path.extname(abs).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': st.size, 'Cache-Control': 'private, max-age=3600' });
        if (req.method === 'HEAD') res.end();
        else createReadStream(abs).pipe(res);
      } catch (e) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Not found: ${(e as Error).message}`);
      }
      return;
    }
    // The UI's static files.
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '') rel = '/index.html';
    const abs = path.resolve(rendererDir, '.' + rel);
    if (!abs.startsWith(rendererDir + path.sep) || !existsSync(abs) || !statSync(abs).isFile()) {
      if (!existsSync(path.join(rendererDir, 'index.html'))) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The UI is not built: run `npm run build`.');
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[path.extname(abs)] ?? 'application/octet-stream',
      'Cache-Control': rel === '/index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
    });
    createReadStream(abs).pipe(res);
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 8 * 1024 * 1024,
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reject = (code: number, why: string) => {
      socket.write(`HTTP/1.1 ${code} ${why}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    if (url.pathname !== '/api') return reject(404, 'Not Found');
    if (!hostAllowed(req.headers.host)) return reject(421, 'Misdirected Request');
    if (token) {
      // Only a page that was given the token (in the URL fragment printed at start) knows it.
      if (!sameToken(url.searchParams.get('token'), token)) return reject(401, 'Unauthorized');
    } else {
      // Loopback without a token: browsers always send Origin on WebSocket handshakes, and another
      // site's page has its own origin, so only our own page gets through.
      const reqOrigin = req.headers.origin;
      if (reqOrigin !== undefined && !allowedOrigins.has(reqOrigin)) return reject(403, 'Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const answer = (id: number, result: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ t: 'res', id, result }));
    };
    const invalid = (id: number, message: string) => answer(id, { ok: false, error: { code: 'INVALID', message } });
    ws.on('message', async (data, isBinary) => {
      let msg: unknown;
      if (isBinary) {
        // A request with a byte argument (a camera frame): header + raw bytes, layout in src-shared/wire.ts.
        // The bytes go into args like any other argument and are validated by the contract's schema below.
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        const decoded = decodeBinaryRequest(buf);
        if (!decoded.ok) return invalid(decoded.id, decoded.message);
        msg = decoded.msg;
      } else {
        try {
          msg = JSON.parse(String(data));
        } catch {
          return invalid(0, 'The message is not JSON.');
        }
      }
      const parsed = WireRequest.safeParse(msg);
      if (!parsed.success) {
        const id = typeof (msg as { id?: unknown })?.id === 'number' ? (msg as { id: number }).id : 0;
        return invalid(id, 'Not a request message: expected {t:"req", id, name, args}.');
      }
      answer(parsed.data.id, await apiHost.handle(parsed.data.name, parsed.data.args));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 4317, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  origin = `http://${hostForUrl}:${addr.port}`;
  allowedOrigins.add(origin);
  if (isLoopback(host)) {
    for (const h of ['127.0.0.1', 'localhost', '[::1]']) {
      allowedHosts.add(`${h}:${addr.port}`);
      allowedOrigins.add(`http://${h}:${addr.port}`);
    }
  }
  // On a non-loopback bind, any Host is accepted (the LAN address may have several names); the
  // token is what guards it.
  const url = token ? `${origin}/#token=${token}` : `${origin}/`;
  return {
    url,
    host,
    port: addr.port,
    token,
    services,
    async close() {
      for (const s of sockets) s.close(1001, 'server closing');
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      await services.close();
    },
  };
}
