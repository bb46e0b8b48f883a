# caps.gp - when the free plan's daily caps would be reached: one row per
# option (an option without a point stays under the caps), x the simulated
# time of the crossing in hours since the start (day * 24 + hour of day),
# filled circles for the reads cap, open squares for the writes cap. The
# time axis ends a little past the last crossing, so crossings in the first
# minutes do not collapse onto 0 of a 24-hour axis.
load here.'/common.gp'
set title 'Free plan: when the daily caps would be reached (hours since the start; each day starts at 0 UTC)'
set xlabel 'simulated time of the crossing (hours)'
set ylabel ''
f = out.'/caps.csv'
stats f skip 1 using ($2 * 24 + $4 / 3600.0) nooutput
set xrange [0 : STATS_max * 1.1 + 0.05]
n = words(options)
set yrange [n + 0.5 : 0.5]
set ytics ()
do for [i=1:n] { set ytics add ('option '.word(options, i) i) }
set key outside right top
plot for [i=1:n] f skip 1 using (strcol(1) eq word(options, i) && strcol(3) eq 'reads' ? $2 * 24 + $4 / 3600.0 : NaN):(i) \
        with points pt 7 ps 1.3 lc rgb '#0072b2' title (i == 1 ? 'reads cap' : ''), \
     for [i=1:n] f skip 1 using (strcol(1) eq word(options, i) && strcol(3) eq 'writes' ? $2 * 24 + $4 / 3600.0 : NaN):(i) \
        with points pt 4 ps 1.6 lw 2 lc rgb '#d55e00' title (i == 1 ? 'writes cap' : '')
