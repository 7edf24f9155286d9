# SPDX-License-Identifier: GPL-2.0
# bash completion for pmswitch(8)

_pmswitch()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "info vmx check run stats example help --json --help --version" -- "$cur"))
		return
	fi
	case $cmd in
	vmx)
		COMPREPLY=($(compgen -W "status cycle hold" -- "$cur"))
		;;
	check)
		COMPREPLY=($(compgen -f -X '!*.ctx' -- "$cur") $(compgen -d -- "$cur"))
		;;
	run)
		case $prev in
		--image) COMPREPLY=($(compgen -f -- "$cur")) ;;
		--repeat|--mem) COMPREPLY=() ;;
		*)
			if [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "--image --repeat --mem --no-tables --trace" -- "$cur"))
			else
				COMPREPLY=($(compgen -f -X '!*.ctx' -- "$cur") $(compgen -d -- "$cur"))
			fi
			;;
		esac
		;;
	esac
}
complete -F _pmswitch pmswitch
