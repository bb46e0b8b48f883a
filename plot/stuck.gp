# stuck.gp - stuck messages (cache non-terminal, store terminal) over time.
# The time axis ends at the last row (the end of the run); counts are
# whole numbers.
load here.'/common.gp'
set format y '%.0f'
set title 'Stuck messages over time (each costs a KV read per poll)'
set xlabel 'simulated time (hours)'
set ylabel 'stuck messages'
f = out.'/stuck.csv'
stats f skip 1 using 3 nooutput
set yrange [0:STATS_max < 1 ? 1 : STATS_max * 1.05 + 0.5]
if (whole_counts(STATS_max)) { set ytics 1 }
set autoscale xfix
plot for [i=1:words(options)] f skip 1 using ($2/3.6e9):(strcol(1) eq word(options, i) ? $3 : NaN) \
     with steps lt i title 'option '.word(options, i)
