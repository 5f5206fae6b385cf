/**
 * `completion bash|zsh`: a script completing commands, options, publication codes and targets. The words come
 * from the parser's own tables (cli/args.ts), so they cannot drift from what `pipeline.ts` accepts; targets come
 * from `ls --json` run on the workspace (`-C`, `--config`) named so far on the line. zsh loads it through bashcompinit.
 */
import { COMMAND_OPTIONS, COMMANDS, type Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';

const GLOBALS = '-C --dir --config -j --jobs --json -v --verbose -h --help --version';
/** Commands whose arguments are targets or target patterns. */
const TARGETED = 'build|status|explain|ls|graph|clean|watch|archive|restore|rename|discover|report';

export async function completionCommand(io: Io, p: Parsed): Promise<number> {
  const shell = p.positionals[0];
  if (shell !== 'bash' && shell !== 'zsh') {
    const { UsageError } = await import('../args.ts');
    throw new UsageError(`completion expects bash or zsh, got ${shell === undefined ? 'nothing' : JSON.stringify(shell)}`, 'add `source <(./pipeline.ts completion bash)` to ~/.bashrc, or the same with zsh to ~/.zshrc');
  }
  io.stdout.write((shell === 'zsh' ? 'autoload -U +X bashcompinit && bashcompinit\n' : '') + bashScript());
  return EXIT.ok;
}

function bashScript(): string {
  const perCommand = COMMANDS.filter((c) => c !== 'completion').map((c) => {
    const opts = Object.entries(COMMAND_OPTIONS[c] as Record<string, { short?: string }>).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
    return `    ${c}) opts="${opts.join(' ')}" ;;`;
  }).join('\n');
  return `# nhs-pipeline completion: source <(./pipeline.ts completion bash)
_nhs_pipeline() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" dir="" config="" i opts=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -C|--dir) dir="\${COMP_WORDS[i+1]}"; ((i++)) ;;
      --config) config="\${COMP_WORDS[i+1]}"; ((i++)) ;;
      -j|--jobs) ((i++)) ;;
      -*) ;;
      *) [[ -z $cmd ]] && cmd="\${COMP_WORDS[i]}" ;;
    esac
  done
  case "$prev" in
    -C|--dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -j|--jobs) return ;;
  esac
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${GLOBALS}" -- "$cur")); else COMPREPLY=($(compgen -W "${COMMANDS.join(' ')}" -- "$cur")); fi
    return
  fi
  case "$cmd" in
${perCommand}
    completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$opts ${GLOBALS}" -- "$cur")); return; fi
  case "$cmd" in
    ${TARGETED})
      local targets
      targets=$("\${COMP_WORDS[0]}" \${dir:+-C "$dir"} \${config:+--config "$config"} ls --json 2>/dev/null | sed -n 's/^{"event":"target","target":"\\([^"]*\\)".*/\\1/p')
      local pubs
      pubs=$(printf '%s\\n' $targets | sed -n 's|^\\([^/:]*\\)/.*|\\1/*|p' | sort -u)
      COMPREPLY=($(compgen -W "$pubs $targets" -- "$cur")) ;;
  esac
}
complete -o default -F _nhs_pipeline pipeline.ts ./pipeline.ts
`;
}
