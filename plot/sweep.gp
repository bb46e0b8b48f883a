# sweep.gp - a metric (default KV reads per day; qsim plot --metric NAME)
# against the first swept parameter, one line per option, mean with 95 %
# CI error bars. Reads sweep_metric.dat (option,x,mean,ci95_low,ci95_high:
# plot.sh's extract of sweep.csv for the metric, each option's points
# together so each is one line). With several swept parameters, every
# combination of the others is a point of the same line. The parameter is
# as sweep.csv holds it (durations in µs).
# Expects: options, param, metric.
load here.'/common.gp'
set title 'Sweep: '.metric.' (mean, 95 % CI)'
set xlabel param.' (as in sweep.csv; durations in µs)'
set ylabel metric
set format x '%g'
set yrange [0:*]
set offsets graph 0.03, graph 0.03, 0, 0
plot for [i=1:words(options)] out.'/sweep_metric.dat' \
     using 2:(strcol(1) eq word(options, i) ? $3 : NaN):4:5 \
     with yerrorlines lt i title 'option '.word(options, i)
