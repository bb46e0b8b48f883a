# caps.gp - time of day at which the free plan's daily caps are reached:
# one point per crossing, x the hour of day (UTC), y the simulated day
# (whole days, the axis a day beyond the data on each side so a single
# day is not a degenerate axis).
load here.'/common.gp'
set format y '%.0f'
set title 'Free plan: when the daily caps would be reached (UTC)'
set xlabel 'hour of the day'
set ylabel 'simulated day'
set xrange [0:24]
set xtics 0,3,24
f = out.'/caps.csv'
stats f skip 1 using ($2+1) nooutput
set yrange [STATS_min - 0.5:STATS_max + 0.5]
set ytics 1
plot for [i=1:words(options)] f skip 1 using (strcol(1) eq word(options, i) && strcol(3) eq 'reads' ? $4/3600 : NaN):($2+1) \
        with points lt i pt 7 ps 1.4 title 'reads cap, option '.word(options, i), \
     for [i=1:words(options)] f skip 1 using (strcol(1) eq word(options, i) && strcol(3) eq 'writes' ? $4/3600 : NaN):($2+1) \
        with points lt i pt 4 ps 1.4 title 'writes cap, option '.word(options, i)
