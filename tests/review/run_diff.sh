#!/bin/bash
# run2.sh DIR: old once (reference), new under several CPU counts / pthread failures
d=$1
old=/work/review-old/build/contactwatchctl; new=/work/review/build/contactwatchctl
(cd $d && $old -c contactwatch.conf --json check -e B1 c.csv > ref.json 2> ref.err; echo $? > ref.rc)
for env in "CW_NCPU=1" "CW_NCPU=2" "CW_NCPU=3" "CW_NCPU=8" "CW_NCPU=5 CW_PT_FAIL=0x1" "CW_NCPU=4 CW_PT_FAIL=0x2" "CW_NCPU=3 CW_PT_FAIL=0x3"; do
  (cd $d && env $env LD_PRELOAD=/tmp/diff/shim.so $new -c contactwatch.conf --json check -e B1 c.csv > new.json 2> new.err; echo $? > new.rc)
  for f in json err rc; do cmp -s $d/ref.$f $d/new.$f || echo "DIFF $d [$env] $f"; done
done
echo "$d done rc=$(cat $d/ref.rc) matches=$(grep -c '"relation": {' $d/ref.json)"
