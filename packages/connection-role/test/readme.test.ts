// README examples are the files in readme-examples/: tsc type-checks them
// with the rest of the test project, this test runs them and checks that
// the README shows exactly those files, so docs and code cannot drift.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const examplesDir = join(__dirname, 'readme-examples');
const exampleFiles = readdirSync(examplesDir)
  .filter((name) => name.endsWith('.ts'))
  .sort();

function codeBlocks(markdown: string, lang: string): string[] {
  const fence = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm');
  return [...markdown.matchAll(fence)].map((match) => match[1] ?? '');
}

test('every TypeScript block in the README is an example file, and every example file is in the README', () => {
  const examples = exampleFiles.map((name) => readFileSync(join(examplesDir, name), 'utf8'));
  expect(examples.length).toBeGreaterThan(0);
  expect(codeBlocks(readme, 'ts').sort()).toEqual(examples.sort());
});

test.each(exampleFiles)('README example %s runs', (name) => {
  jest.isolateModules(() => {
    require(join(examplesDir, name));
  });
});
