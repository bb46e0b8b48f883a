# cost.gp - list-price dollars per day by option, from summary.csv.
load here.'/common.gp'
set title 'Cost per day at list price (KV reads + writes + Worker requests)'
set ylabel 'USD per day'
set style fill solid 0.7 border -1
set boxwidth 0.6
set yrange [0:*]
set xtics rotate by -30 left
set key off
plot out.'/summary.csv' skip 1 using 0:7:xtic(1) with boxes lc rgb '#4878a8', \
     '' skip 1 using 0:7:(sprintf('$%.4f', $7)) with labels offset 0,1 notitle
