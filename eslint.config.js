// ESLint for src/, test/, scripts/ and bin/ (`make check`, and CI through `make test`).
// Besides the recommended rules it holds the layering of src/ (util < elf < symbols < convert < cli)
// as import boundaries, so a wrong import fails in the editor, not only in test/structure.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** An import pattern for every layer a directory must not reach, at any depth of `../`. */
const forbid = (...layers) => ({
  patterns: layers.map((layer) => ({
    group: [`**/${layer}/*`, `**/${layer}/**`, `**/${layer}`],
    message: `src/ is layered util < elf < symbols < convert < cli; this layer may not import ${layer}/.`,
  })),
});

const boundaries = [
  { files: ['src/util/**/*.ts'], layers: ['elf', 'symbols', 'convert', 'cli'] },
  { files: ['src/elf/**/*.ts'], layers: ['symbols', 'convert', 'cli'] },
  { files: ['src/symbols/**/*.ts'], layers: ['convert', 'cli'] },
  { files: ['src/convert/**/*.ts'], layers: ['cli'] },
];

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', '.cache/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly',
        performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly',
        TextDecoder: 'readonly', TextEncoder: 'readonly', structuredClone: 'readonly',
      },
    },
    rules: {
      // Lines stay readable side by side and in review tools (issue 11 §6).
      'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The launcher is CommonJS (bin/package.json): an ES module entry costs Node more to start.
    files: ['bin/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...boundaries.map(({ files, layers }) => ({
    files,
    rules: { 'no-restricted-imports': ['error', forbid(...layers)] },
  })),
);
