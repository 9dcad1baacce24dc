import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { deployment } from './fixtures';
import { curlExample, shellQuote } from '../ModelsPanel';

/**
 * The words a POSIX shell makes of `command` (with `curl` replaced by a program that
 * prints its arguments), run in an empty directory: `{ words, files }` where `files` is
 * what the command left in that directory.
 */
function shellWords(command: string): { words: string[]; files: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-'));
  try {
    expect(command.startsWith('curl ')).toBe(true);
    const script = `printf '%s\\n' ${command.slice('curl '.length)}`;
    const out = execFileSync('/bin/sh', ['-c', script], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
      encoding: 'utf-8'
    });
    return {
      words: out.replace(/\n$/, '').split('\n'),
      files: fs.readdirSync(dir)
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Copy curl', () => {
  it('quotes a word for the shell with single quotes', () => {
    // Given plain text, a quote and nothing / Then each is one single-quoted shell word
    expect(shellQuote('plain')).toBe("'plain'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
  });

  it('gives a harmless command for a hostile model name', () => {
    // Given a model whose name is a shell command
    const name = "x; touch pwned; $(touch pwned2) `touch pwned3` 'q'";
    const command = curlExample(deployment({ model: name }));
    // When a shell parses the copied command
    const { words, files } = shellWords(command);
    // Then nothing ran, and the URL is one argument naming the model (percent-encoded)
    expect(files).toEqual([]);
    expect(words.slice(0, 4)).toEqual([
      '-s',
      '-X',
      'POST',
      `http://127.0.0.1:8080/v1/models/${encodeURIComponent(name)}:predict`
    ]);
    expect(words.slice(4)).toEqual([
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
    ]);
  });

  it('reads the token of a server bound beyond loopback from its file', () => {
    // Given a deployment on 0.0.0.0 whose token file sits next to its log, in a directory
    // whose name a shell would otherwise run
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dep-'$(touch pwned)'-"));
    try {
      fs.writeFileSync(path.join(dir, 'token'), 's3cret\n');
      const d = {
        ...deployment({}),
        host: '0.0.0.0',
        log: path.join(dir, 'server.log')
      };
      // When the copied command is run by a shell
      const { words, files } = shellWords(curlExample(d));
      // Then it sends the token as a bearer header, and runs nothing else
      expect(files).toEqual([]);
      expect(words.slice(4, 6)).toEqual(['-H', 'Authorization: Bearer s3cret']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // And on loopback no token header is added
    const local = {
      ...deployment({}),
      host: '127.0.0.1',
      log: '/x/server.log'
    };
    expect(curlExample(local)).not.toContain('Authorization');
  });

  it('quotes a hostile URL too', () => {
    // Given a deployment URL with shell syntax in it
    const url = "http://h/'$(touch pwned)'/";
    const { words, files } = shellWords(
      curlExample(deployment({ url, model: 'iris' }))
    );
    // Then it reaches curl as one literal argument
    expect(files).toEqual([]);
    expect(words[3]).toBe(`${url}v1/models/iris:predict`);
  });
});
