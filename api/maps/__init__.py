"""Map pages rendered with folium and served with local assets."""
