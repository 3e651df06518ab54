// Process entry of the CLI: runs main and turns failures into a message and an exit code.
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`raftlab: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
