# cost_ci.gp - $/day by option with 95 % confidence intervals (compare).
# Reads cost_ci.dat: option,mean,ci95_low,ci95_high.
load here.'/common.gp'
set title 'Cost per day at list price, mean and 95 % CI over replications'
set ylabel 'USD per day'
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set key off
plot out.'/cost_ci.dat' using 0:2:xtic(1) with boxes lc rgb '#4878a8', \
     '' using 0:2:3:4 with yerrorbars lc rgb '#222222' pt 0 lw 1.5
