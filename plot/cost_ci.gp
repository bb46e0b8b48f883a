# cost_ci.gp - $/day by option with 95 % confidence intervals (compare).
# Reads cost_ci.dat: option,mean,ci95_low,ci95_high. Whiskers are black
# with caps, drawn over light bars so they show even when short.
load here.'/common.gp'
set title 'Cost per day at list price, mean and 95 % CI over replications'
set ylabel 'USD per day'
set style fill solid 0.35 border -1
set boxwidth 0.6
set yrange [0:*]
set xtics rotate by -30 left
set bars 2
set key off
plot out.'/cost_ci.dat' using 0:2:xtic(1) with boxes lc rgb '#4878a8', \
     '' using 0:2:3:4 with yerrorbars lc rgb '#000000' dt 1 lw 2 pt 7 ps 0.5
