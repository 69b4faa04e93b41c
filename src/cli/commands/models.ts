import { readFile } from 'node:fs/promises';
import { InputError, PermanentError } from '../../core/errors.js';
import { parseCommandArgs, parseKeyValues, requirePositional } from '../args.js';
import { withLocalContext } from '../context.js';
import { println, type CliIo } from '../io.js';
import { modelTable } from '../modelTable.js';

/** `tessera models add NAME FILE [--meta k=v]… [--tag T]…`, `models list [NAME]`, `models optimize REF [--tag T]…`. */
export async function modelsCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseCommandArgs(`models ${sub ?? ''}`, rest, {
    meta: { type: 'string', multiple: true },
    tag: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  return withLocalContext(async (ctx) => {
    switch (sub) {
      case 'add': {
        const name = requirePositional('models add', positionals, 0, 'NAME');
        const file = requirePositional('models add', positionals, 1, 'FILE');
        const bytes = await readFile(file).catch(() => {
          throw new InputError(file, 'cannot read the model file');
        });
        const { record, created } = await ctx.registry
          .add(name, bytes, { meta: parseKeyValues('--meta', values.meta), tags: values.tag ?? [] })
          .catch((error: unknown) => {
            // A file onnxruntime cannot read is bad input: name the file and the model it was meant for.
            if (error instanceof PermanentError && error.code === 'BadModel')
              throw new InputError(file, `not a usable ONNX model for ${name}: ${error.message}`);
            throw error;
          });
        println(io, `${created ? 'added' : 'unchanged'} ${record.ref} sha256 ${record.sha256}`);
        println(
          io,
          `  inputs ${record.inputs.map((t) => `${t.name} ${t.elemType}[${(t.shape ?? []).join(',')}]`).join('; ')}`,
        );
        println(
          io,
          `  outputs ${record.outputs.map((t) => `${t.name} ${t.elemType}[${(t.shape ?? []).join(',')}]`).join('; ')}`,
        );
        return 0;
      }
      case 'list': {
        const records = await ctx.registry.list(positionals[0]);
        if (values.json) println(io, JSON.stringify(records, null, 2));
        else for (const line of modelTable(records)) println(io, line);
        return 0;
      }
      case 'optimize': {
        const ref = requirePositional('models optimize', positionals, 0, 'REF');
        const result = await ctx.registry.optimize(ref, { tags: values.tag ?? [] });
        println(
          io,
          result.rewritten === 0
            ? `${result.record.ref}: nothing to rewrite`
            : `${result.record.ref}: ${result.rewritten} ai.onnx.ml nodes rewritten into standard ops`,
        );
        return 0;
      }
      default:
        throw new InputError('tessera models', `unknown subcommand "${sub ?? ''}" (add, list, optimize)`);
    }
  });
}
