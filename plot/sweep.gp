# sweep.gp - a metric (default KV reads per day) against the first swept parameter, one line
# per option, mean with 95 % CI error bars (sweep.csv). With several swept
# parameters, every combination of the others is drawn as its own line.
# Expects: options, param, optcol (the option column; metric, n, mean,
# ci95_low and ci95_high follow it).
load here.'/common.gp'
set title 'Sweep: '.metric
set xlabel param
set ylabel metric
set yrange [0:*]
plot for [o in options] out.'/sweep.csv' skip 1 \
     using 2:((strcol(optcol) eq o && strcol(optcol+1) eq metric) ? column(optcol+3) : NaN):(column(optcol+4)):(column(optcol+5)) \
     with yerrorlines lw 2 title 'option '.o
