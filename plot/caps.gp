# caps.gp - time of day at which the free plan's daily caps are reached.
load here.'/common.gp'
set title 'Free plan: when the daily caps are reached (UTC)'
set xlabel 'hour of the day'
set ylabel 'simulated day'
set xrange [0:24]
set xtics 0,3,24
plot for [o in options] out.'/caps.csv' skip 1 using (strcol(1) eq o && strcol(3) eq 'reads' ? $4/3600 : NaN):($2+1) \
        with points pt 7 ps 1.2 title 'reads cap, option '.o, \
     for [o in options] out.'/caps.csv' skip 1 using (strcol(1) eq o && strcol(3) eq 'writes' ? $4/3600 : NaN):($2+1) \
        with points pt 5 ps 1.2 title 'writes cap, option '.o
