/** The clawgate package version, set by scripts/build-web.mjs (esbuild `define`). */
declare const __CLAWGATE_VERSION__: string;
