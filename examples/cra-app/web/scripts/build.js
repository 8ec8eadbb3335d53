// Builds build/ the way react-scripts does, with node only (no dependencies):
//   build/index.html                         <script defer="defer" src="/static/js/main.<hash>.js">
//   build/static/js/main.<hash>.js           process.env.REACT_APP_* replaced by their values
//   build/static/js/main.<hash>.js.map
//   build/static/js/main.<hash>.js.LICENSE.txt
//   build/static/css/main.<hash>.css (+ .map)
//   build/asset-manifest.json                {"files": {...}, "entrypoints": [...]}
//   build/favicon.ico, build/robots.txt      copied from public/
// REACT_APP_REST_API_BASE_URL must be set: a bundle without the API's URL is a broken release.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build');
const hash = (s) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 8);

if (!process.env.REACT_APP_REST_API_BASE_URL) {
  console.error('build: REACT_APP_REST_API_BASE_URL is not set');
  process.exit(1);
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'static', 'js'), { recursive: true });
fs.mkdirSync(path.join(out, 'static', 'css'), { recursive: true });

let js = fs.readFileSync(path.join(root, 'src', 'index.js'), 'utf8');
const license = js.match(/\/\*![\s\S]*?\*\//);
js = js.replace(/\/\*![\s\S]*?\*\/\n?/, '');
js = js.replace(/process\.env\.(REACT_APP_[A-Z0-9_]+)/g, (_, name) => JSON.stringify(process.env[name] || ''));
const jsName = `main.${hash(js)}.js`;
const jsBody = `/*! For license information please see ${jsName}.LICENSE.txt */\n${js}//# sourceMappingURL=${jsName}.map\n`;
fs.writeFileSync(path.join(out, 'static', 'js', jsName), jsBody);
fs.writeFileSync(path.join(out, 'static', 'js', `${jsName}.map`),
  JSON.stringify({ version: 3, file: jsName, sources: ['src/index.js'], names: [], mappings: '' }));
fs.writeFileSync(path.join(out, 'static', 'js', `${jsName}.LICENSE.txt`), `${license ? license[0] : ''}\n`);

const css = fs.readFileSync(path.join(root, 'src', 'index.css'), 'utf8');
const cssName = `main.${hash(css)}.css`;
fs.writeFileSync(path.join(out, 'static', 'css', cssName), `${css}/*# sourceMappingURL=${cssName}.map*/\n`);
fs.writeFileSync(path.join(out, 'static', 'css', `${cssName}.map`),
  JSON.stringify({ version: 3, file: cssName, sources: ['src/index.css'], names: [], mappings: '' }));

const html = fs.readFileSync(path.join(root, 'public', 'index.html'), 'utf8')
  .replace(/%PUBLIC_URL%/g, '')
  .replace('</head>', `<script defer="defer" src="/static/js/${jsName}"></script><link href="/static/css/${cssName}" rel="stylesheet"></head>`);
fs.writeFileSync(path.join(out, 'index.html'), html);

for (const f of fs.readdirSync(path.join(root, 'public'))) {
  if (f !== 'index.html') fs.copyFileSync(path.join(root, 'public', f), path.join(out, f));
}

const manifest = {
  files: {
    'main.css': `/static/css/${cssName}`,
    'main.js': `/static/js/${jsName}`,
    'index.html': '/index.html',
    [`${cssName}.map`]: `/static/css/${cssName}.map`,
    [`${jsName}.map`]: `/static/js/${jsName}.map`,
  },
  entrypoints: [`static/css/${cssName}`, `static/js/${jsName}`],
};
fs.writeFileSync(path.join(out, 'asset-manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`build: wrote build/ (static/js/${jsName}, static/css/${cssName})`);
