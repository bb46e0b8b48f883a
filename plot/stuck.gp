# stuck.gp - stuck messages (cache non-terminal, store terminal) over time.
load here.'/common.gp'
set title 'Stuck messages over time (each costs a KV read per poll)'
set xlabel 'simulated time (hours)'
set ylabel 'stuck messages'
set yrange [0:*]
plot for [o in options] out.'/stuck.csv' skip 1 using ($2/3.6e9):(strcol(1) eq o ? $3 : NaN) \
     with steps lw 2 title 'option '.o
