/** The `ksl` command: every command takes --json and then prints one JSON document on stdout. */
import { Command, CommanderError } from 'commander';
import { appVersion } from '../services/catalog/project';
import { registerMediaCommands } from './commands/media';
import { registerProjectCommands } from './commands/project';
import { registerServeCommand } from './commands/serve';
import { registerJobCommands } from './commands/jobs';
import { registerGroundTruthCommand, registerKetiCommand } from './commands/keti';
import { registerDatasetCommands } from './commands/dataset';
import { registerSampleCommand } from './commands/sample';
import { registerCocoEvalCommand } from './commands/coco-eval';
import { registerAnnotateCommands } from './commands/annotate';
import { registerExportOnnxCommand } from './commands/export-onnx';
import { registerEvalCommands, registerTrainCommands } from './commands/train';
import { registerDetectCommand } from './commands/detect';
import { registerDemoCommand } from './commands/demo';

export function buildProgram(): Command {
  const program = new Command('ksl')
    .description('KSL Studio — Korean Sign Language datasets, labelling, training and live interpretation, offline.')
    .version(appVersion(), '-v, --version')
    // usage errors exit 2 (set before commands are added so that subcommands inherit it)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`ksl: ${str.trim().split('\n')[0]!.replace(/^error: /, '')} (see ksl --help)\n`) });
  registerProjectCommands(program);
  const importCmd = program.command('import').description('bring data into a project (keti, videos, voc)');
  registerKetiCommand(importCmd);
  registerGroundTruthCommand(importCmd);
  registerMediaCommands(program, importCmd);
  const exportCmd = program.command('export').description('write the dataset for other tools (tfrecord, coco, voc, yolo, onnx)');
  registerDatasetCommands(program, exportCmd);
  registerAnnotateCommands(program, importCmd, exportCmd);
  registerExportOnnxCommand(exportCmd);
  registerSampleCommand(program);
  registerTrainCommands(program);
  registerEvalCommands(program);
  registerCocoEvalCommand(program);
  registerDetectCommand(program);
  registerDemoCommand(program);
  registerJobCommands(program);
  registerServeCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
    throw e;
  }
}
