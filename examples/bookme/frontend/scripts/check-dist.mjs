// Checks that dist/ honours the layout contract the release engine relies on.
// Usage: npm run build && node scripts/check-dist.mjs [expected API base URL] [expected WS base URL]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const [expectApi, expectWs] = process.argv.slice(2);
const problems = [];

function walk(dir, prefix = '') {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

let files = [];
try {
  files = walk(dist);
} catch {
  console.error('check-dist: dist/ not found; run `npm run build` first');
  process.exit(1);
}

const hashed = /^assets\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{8}\.(js|css|svg|png|woff2?)$/;
for (const f of files.filter((f) => f.startsWith('assets/'))) {
  if (!hashed.test(f)) problems.push(`${f}: not named assets/<name>.<hash>.<ext>`);
}
for (const f of ['index.html', 'favicon.svg', 'robots.txt', 'manifest.json']) {
  if (!files.includes(f)) problems.push(`${f}: missing`);
}
const js = files.filter((f) => f.endsWith('.js'));
if (js.length < 3) problems.push(`only ${js.length} JS files; expected an entry plus lazy route chunks`);

const bundle = js.map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
for (const [label, value] of [['VITE_API_BASE_URL', expectApi], ['VITE_WS_BASE_URL', expectWs]]) {
  if (value && !bundle.includes(value)) problems.push(`${label} value ${value} is not in the bundle`);
}

if (problems.length) {
  console.error(`check-dist: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-dist: ok (${files.length} files, ${js.length} JS)`);
