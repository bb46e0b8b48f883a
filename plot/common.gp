# common.gp - terminal and style shared by the qsim charts.
# Expects: term ('png' or 'svg'), dest (file to write).
if (term eq 'svg') { set terminal svg size 900,480 dynamic font 'sans,11' background '#ffffff' } \
else { set terminal pngcairo size 900,480 font 'sans,10' }
set output dest
set termoption noenhanced
set datafile separator ','
set grid lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
# Ten distinguishable colours (Okabe-Ito, then darker shades) and a dash
# per line: with many options no two lines share colour and dash, and a
# line drawn over another still shows its own pattern.
set linetype 1 lc rgb '#0072b2' lw 2 dt 1 pt 7
set linetype 2 lc rgb '#d55e00' lw 2 dt 2 pt 5
set linetype 3 lc rgb '#009e73' lw 2 dt 3 pt 9
set linetype 4 lc rgb '#cc79a7' lw 2 dt 4 pt 11
set linetype 5 lc rgb '#e69f00' lw 2 dt 5 pt 13
set linetype 6 lc rgb '#56b4e9' lw 2 dt (12,4,2,4,2,4) pt 6
set linetype 7 lc rgb '#000000' lw 2 dt (2,6) pt 4
set linetype 8 lc rgb '#8c564b' lw 2 dt (20,6) pt 8
set linetype 9 lc rgb '#7f7f7f' lw 2 dt (6,3,1,3) pt 10
set linetype 10 lc rgb '#9467bd' lw 2 dt (1,3) pt 12
set linetype cycle 10
# whole_counts(max): 1 when a count axis should have a tic every 1 (up to
# 10); count charts also set format y '%.0f', so no tic is a fraction.
whole_counts(m) = m <= 10 ? 1 : 0
