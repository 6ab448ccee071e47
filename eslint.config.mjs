import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/** Layer rules from DESIGN.md: the helper imports nothing of main or renderer;
 *  main imports only the helper's protocol; the renderer imports only types from main's api;
 *  src-shared (imported by main and the renderer) imports nothing of theirs. */
const layer = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

const partSyntax = [
  { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
  { selector: "ImportExpression[source.type!='Literal']", message: 'Load a literal path: a computed import() hides which part it reaches into.' },
  { selector: "CallExpression[callee.name='require'][arguments.0.type!='Literal']", message: 'Load a literal path: a computed require() hides which part it reaches into.' },
  { selector: "ImportExpression[source.value=/src-(main|renderer)\\u002F/]", message: 'Lazy loads follow the import rules: no part loads main or the renderer.' },
  { selector: "ImportExpression[source.value=/src-capture-helper\\u002F(?!protocol\\u002F)/]", message: "Lazy loads follow the import rules: only the helper's protocol/ is shared." },
];

const SYNC_FS = 'A synchronous file call holds every client while the disk answers: use fs/promises (or say why this runs only at start or exit).';
const noSyncFs = [
  { selector: "CallExpression[callee.object.name='fs'][callee.property.name=/Sync$/]", message: SYNC_FS },
  { selector: "ImportDeclaration[source.value=/^(node:)?fs$/] > ImportSpecifier[imported.name=/Sync$/]", message: SYNC_FS },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'bench-results/**', 'release/**', 'src-capture-helper/addon/build/**', 'src-renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    // Dynamic loading may not cross the part boundaries that the import rules below draw: a computed
    // path hides where it goes, so only literal paths (checked per part below) are loaded lazily.
    files: ['src-main/**/*.ts', 'src-capture-helper/**/*.ts', 'src-renderer/**/*.{ts,tsx}', 'src-shared/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...partSyntax] },
  },
  {
    // What serves requests (HTTP, WebSocket, IPC) never waits on the disk with the event loop held: fs/promises.
    // Code that runs only at start or exit says so where it uses a synchronous call (an eslint-disable with its reason).
    files: ['src-main/core/**/*.ts', 'src-main/server/**/*.ts', 'src-main/electron/**/*.ts', 'src-main/bus/**/*.ts', 'src-main/api/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...partSyntax, ...noSyncFs] },
  },
  {
    // The `netmon` command is the launcher of both parts' commands: it runs the helper's commands
    // (analyze, capture, ...) through the helper's own command-line entry, found at run time.
    files: ['src-main/cli/netmon.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    // Tool configuration files must default-export their config (a Vitest reporter module too).
    files: ['*.config.{ts,mjs,js}', 'src-renderer/vite.config.ts', 'test/helpers/count-reporter.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Plain Node scripts that run before the TypeScript build exists.
    files: ['scripts/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Shared by main and the renderer (the flow filter and sort): plain TypeScript that imports only its own folder.
    files: ['src-shared/**/*.ts'],
    rules: layer([{ group: ['**/src-main/**', '**/src-renderer/**', '**/src-capture-helper/**', 'node:*'], message: 'src-shared imports only src-shared.' }]),
  },
  {
    files: ['src-capture-helper/**/*.ts'],
    rules: layer([{ group: ['**/src-main/**', '**/src-renderer/**'], message: 'The helper imports nothing of main or renderer.' }]),
  },
  {
    files: ['src-main/**/*.ts'],
    rules: layer([
      { regex: 'src-capture-helper/(?!protocol/)', message: "Main may import only the helper's protocol/." },
      { group: ['**/src-renderer/**'], message: 'Main does not import the renderer.' },
    ]),
  },
  {
    files: ['src-main/core/**/*.ts', 'src-main/server/**/*.ts', 'src-main/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'core/, server/ and api/ run under plain Node: no electron import.' }],
        patterns: [
          { regex: 'src-capture-helper/(?!protocol/)', message: "Main may import only the helper's protocol/." },
          { group: ['**/src-renderer/**'], message: 'Main does not import the renderer.' },
        ],
      }],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/src-capture-helper/**'], message: 'The renderer never imports the helper.' },
          { regex: 'src-main/(?!api/)', message: "The renderer imports only main's api/." },
          { group: ['**/src-main/api/**'], allowTypeImports: true, message: "Only `import type` from main's api/." },
        ],
      }],
    },
  },
  {
    // The desktop shell starts main's core; the headless server is its own front end, not the shell's.
    files: ['src-main/electron/**/*.ts'],
    rules: layer([
      { regex: 'src-capture-helper/(?!protocol/)', message: "Main may import only the helper's protocol/." },
      { group: ['**/src-renderer/**'], message: 'Main does not import the renderer.' },
      { group: ['../server/**', '**/src-main/server/**'], message: 'electron/ does not reach into server/: both are front ends of core/.' },
    ]),
  },
);
