#!/usr/bin/env bash
# The main job on the embedded default machine: builds, starts the kernel
# model subdevd, walks through parents, types, create, show, change and
# delete with the subdev CLI; then an example VMM holds a subdevice while
# faults are injected and it is removed, as `subdev monitor` shows; then
# definitions, autostart across a restart, the inventory and a migration
# check; then stops the model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --product subdevd
swift build --product subdev
swift build --product subdev-vmm-example
bin=$(swift build --show-bin-path)

# A port of the demo's own, unless SUBDEV_NL_PORT names one.
export SUBDEV_NL_PORT=${SUBDEV_NL_PORT:-$(( (0x4B + 1) << 22 | ($$ % 0x300000 + 0x100000) ))}
log=$(mktemp)
"$bin/subdevd" >"$log" 2>&1 &
model=$!
vmmlog=$(mktemp)
trap 'kill $model ${monitor:-} ${vmm:-} 2>/dev/null; wait $model 2>/dev/null; rm -f "$log" "$vmmlog"' EXIT
for _ in $(seq 100); do
  grep -q "^subdevd ready port=$SUBDEV_NL_PORT$" "$log" && break
  kill -0 $model 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
cat "$log"

run() {
  echo
  echo "\$ subdev $*"
  "$bin/subdev" "$@"
}
run parent show
run type show pci/0000:6a:01.0
run dev add pci/0000:6a:01.0 type dwq name vm0-wq wq-size 32 priority 5
run dev add pci/0000:6a:01.0 type swq-slice name app-slice entries 8
run dev add pci/0000:3b:00.0 type A40-16Q name vm0-gpu frame-rate-limit 30
run type show pci/0000:3b:00.0 A40-16Q
run dev show
run dev set vm0-wq state down priority 9
run -j -p dev show vm0-wq
echo
echo "\$ subdev dev add pci/0000:6a:01.0 type dwq wq-size 300   # fails, changes nothing"
"$bin/subdev" dev add pci/0000:6a:01.0 type dwq wq-size 300 || echo "(exit status $?)"

echo
echo "--- events: an example VMM holds vm0-gpu; subdev monitor events prints what the events group carries"
"$bin/subdev-vmm-example" vm0-gpu --unplug-ms 300 >"$vmmlog" &
vmm=$!
for _ in $(seq 100); do grep -q '"ready"' "$vmmlog" && break; sleep 0.1; done
"$bin/subdev" monitor events &
monitor=$!
sleep 0.3
run inject aer vm0-gpu severity fatal
sleep 0.3
run dev show vm0-gpu
run inject hotplug pci/0000:6a:01.0 remove window 5000
run inject hotplug pci/0000:6a:01.0 cancel
run dev del vm0-gpu wait 10
sleep 0.2
kill $monitor 2>/dev/null || true
wait $vmm 2>/dev/null || true
echo
echo "--- the example VMM's log (JSON lines)"
cat "$vmmlog"

run dev del vm0-wq
run dev del app-slice
run dev show
run parent show

# Definitions that outlive the model, the inventory, a migration check.
export SUBDEV_CONFIG_DIR=$(mktemp -d)
run dev define virtual/mtty type mtty-1 name console autostart on label com1
run dev define pci/0000:6a:01.0 type dwq name vm1-wq wq-size 16
run dev start vm1-wq
run dev list --defined
run inventory pci/0000:6a:01.0
echo
echo "--- subdevd restarted with --config-dir: its agent starts the autostart definitions"
kill $model
wait $model 2>/dev/null || true
"$bin/subdevd" --config-dir "$SUBDEV_CONFIG_DIR" >"$log" 2>&1 &
model=$!
for _ in $(seq 100); do
  grep -q "autostart: console" "$log" && break
  sleep 0.1
done
grep "autostart" "$log"
run dev list --defined
"$bin/subdev" -j dev show console >"$SUBDEV_CONFIG_DIR/console.json"
run dev add virtual/mtty type mtty-1 name same label com1
run dev add virtual/mtty type mtty-2 name modem label com2
run dev compat "$SUBDEV_CONFIG_DIR/console.json" same
run dev compat console modem || true
rm -rf "$SUBDEV_CONFIG_DIR"
echo
echo "demo: done; stopping subdevd"
