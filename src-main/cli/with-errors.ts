import { failAndExit, type GlobalOpts } from './output';

/** Wraps a commander action: any error becomes a one-line reason and a non-zero exit. */
export function withErrors<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // commander passes (...positionals, options, command); options is second to last
    const opts = (args[args.length - 2] ?? {}) as GlobalOpts;
    try {
      await fn(...args);
    } catch (e) {
      failAndExit(opts, e);
    }
  };
}
