import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InputError, PermanentError } from '../../core/errors.js';
import { apiOptions, formatOf, type CliEnv } from '../cliEnv.js';
import { modelTable } from '../modelTable.js';
import { println } from '../io.js';
import { printJson } from '../output.js';

function keyValues(pair: string, previous: Record<string, string>): Record<string, string> {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new InputError('--meta', `expected key=value, got "${pair}"`);
  return { ...previous, [pair.slice(0, eq).trim()]: pair.slice(eq + 1).trim() };
}
const collect = (value: string, previous: string[]) => [...previous, value];

export function registerModelsCommand(program: Command, env: CliEnv): void {
  const models = program.command('models').description('the model registry: add, list, optimize');

  apiOptions(models.command('list'))
    .description('registered model versions (newest last per model), and the built-in ones')
    .argument('[name]', 'only versions of this model')
    .action(async (name: string | undefined, flags: { remote?: string; output?: string; json?: boolean }) => {
      const { client } = await env.api(flags.remote);
      const { models: versions, builtin } = await client.models(name);
      if (formatOf(flags) === 'json') return printJson(env.io, { models: versions, builtin });
      for (const line of modelTable(versions)) println(env.io, line);
      if (name === undefined && builtin.length > 0) println(env.io, `built in: ${builtin.join(', ')}`);
    });

  models
    .command('add')
    .description(
      'register FILE as the next immutable version of NAME (its sha256, inputs and outputs read from the ONNX file)',
    )
    .argument('<name>', 'the model name')
    .argument('<file>', 'an .onnx file')
    .option('--meta <key=value>', 'user metadata (repeatable)', keyValues, {})
    .option('--tag <tag>', 'a tag (repeatable); name@tag resolves to the newest version with it', collect, [])
    .action(async (name: string, file: string, flags: { meta: Record<string, string>; tag: string[] }) => {
      const ctx = await env.local();
      const bytes = await readFile(file).catch(() => {
        throw new InputError(file, 'cannot read the model file');
      });
      const { record, created } = await ctx.registry
        .add(name, bytes, { meta: flags.meta, tags: flags.tag })
        .catch((error: unknown) => {
          // A file onnxruntime cannot read is bad input: name the file and the model it was meant for.
          if (error instanceof PermanentError && error.code === 'BadModel')
            throw new InputError(file, `not a usable ONNX model for ${name}: ${error.message}`);
          throw error;
        });
      const tensors = (list: typeof record.inputs) =>
        list.map((t) => `${t.name} ${t.elemType}[${(t.shape ?? []).join(',')}]`).join('; ');
      println(env.io, `${created ? 'added' : 'unchanged'} ${record.ref} sha256 ${record.sha256}`);
      println(env.io, `  inputs ${tensors(record.inputs)}`);
      println(env.io, `  outputs ${tensors(record.outputs)}`);
    });

  models
    .command('optimize')
    .description('register a standard-ops rewrite of an ai.onnx.ml SVM model as its next version')
    .argument('<ref>', 'name, name@version or name@tag')
    .option('--tag <tag>', 'a tag for the new version (repeatable)', collect, [])
    .action(async (ref: string, flags: { tag: string[] }) => {
      const ctx = await env.local();
      const result = await ctx.registry.optimize(ref, { tags: flags.tag });
      println(
        env.io,
        result.rewritten === 0
          ? `${result.record.ref}: nothing to rewrite`
          : `${result.record.ref}: ${result.rewritten} ai.onnx.ml nodes rewritten into standard ops`,
      );
    });
}
