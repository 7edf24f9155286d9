# SPDX-License-Identifier: GPL-2.0
# bash completion for pmswitch(8): every command and option, vmx's
# actions, .ko files for load, context files for check, run and native,
# FILE@GPA for --image; file names with spaces complete quoted.

# Files (and directories, to descend into) matching the glob @1.
_pmswitch_files()
{
	local IFS=$'\n' glob=$1 cur=$2
	compopt -o filenames 2>/dev/null
	COMPREPLY+=($(compgen -f -X "!$glob" -- "$cur") $(compgen -d -- "$cur"))
}

_pmswitch()
{
	local cur prev cmd i words
	local cmds="info vmx check run native stats load unload example help"
	local globals="--json --version --help"
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()

	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$cmds $globals -j -V -h" -- "$cur"))
		return
	fi
	case $prev in
	--mem|--repeat|--limit-us|-m|-r|-l)
		return ;;
	--image|-i)
		# FILE@GPA: the file part; the user types @GPA.
		compopt -o nospace 2>/dev/null
		_pmswitch_files '*' "$cur"
		return ;;
	esac
	case $cmd in
	vmx)	words="on off status cycle hold --help" ;;
	check)	words="--mem --native --help" ;;
	run)	words="--image --repeat --mem --no-tables --trace --help" ;;
	native)	words="--image --mem --limit-us --no-tables --help" ;;
	help)	words=$cmds ;;
	*)	words=--help ;;
	esac
	if [[ $cur == -* || $cmd == vmx || $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$words --json --version" -- "$cur"))
		[[ $cmd == vmx || $cmd == help ]] && [[ $cur != -* ]] &&
			COMPREPLY=($(compgen -W "${words% --help}" -- "$cur"))
		return
	fi
	case $cmd in
	check|run|native)	_pmswitch_files '*.ctx' "$cur" ;;
	load)			_pmswitch_files '*.ko' "$cur" ;;
	esac
}
complete -F _pmswitch pmswitch
