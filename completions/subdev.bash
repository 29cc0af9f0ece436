# bash completion for subdev(8): objects, verbs and keywords, and the
# parents, types, subdevices, parameter names and definitions of the live
# model, which `subdev __complete` works out.
#
# Installed as /usr/share/bash-completion/completions/subdev; or source it.

_subdev()
{
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    read -r -a words <<< "$line"
    # A line ending in a blank starts a new, empty word.
    [[ $line =~ [[:space:]]$ ]] && words+=("")
    local current=${words[${#words[@]}-1]}
    local candidate
    COMPREPLY=()
    while IFS= read -r candidate; do
        [[ -n $candidate ]] && COMPREPLY+=("$candidate")
    done < <("${words[0]}" __complete -- "${words[@]:1}" 2>/dev/null)
    # bash splits words at ':' (COMP_WORDBREAKS): give back only what
    # follows the last ':' of the word, as bash-completion's
    # __ltrim_colon_completions does, so pci/0000:6a:01.0 completes whole.
    if [[ $current == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local prefix=${current%"${current##*:}"}
        local i
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
        done
    fi
}

complete -F _subdev subdev
